from bot.cli import app

app(prog_name="trialbot")
