"""The vetted knowledge base: staff-edited files, their index, and the decision to answer."""
