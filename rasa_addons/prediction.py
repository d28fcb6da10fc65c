"""The next action, predicted from the conversation's recent turns, and by the rules alone
when a rule decides it.

Recent turns: Rasa's policies turn the whole tracker into states on every prediction, so a
prediction took longer with every message (40 ms at the 200th message against 3 ms at the 2nd).
They look at the last few of them: MemoizationPolicy and TED at `max_history` (4) actions, the
rules at the few turns a rule spans. The policies are given the last WINDOW_TURNS messages'
events, opened by the state of the conversation at that point (its slots, active form and its
interruption, pause) as events, so that every state they look at is the one they would have
computed from the whole conversation.

The session's expiry is read from the tracker's latest message, not from a search of the
conversation's applied events rebuilt on every turn.

Rules alone:
Rasa asks every policy for every prediction (config.yml: RulePolicy, MemoizationPolicy,
TEDPolicy), then its ensemble picks one. TED's network is about three quarters of a turn's
prediction time (py-spy, on rule replies and vetted answers), twice per turn, and it cannot
change the outcome when a rule predicts: a rule predicts with confidence 1.0 at the highest
priority, TED (priority 1) can at most tie it and loses ties; TED is trained on intents and not
on end-to-end text (no story has a `user:` text), so its prediction never overrules by kind; it
adds no events. So the cheap policies are asked first, and their prediction is the ensemble's
whenever it has confidence 1.0 from a policy of higher priority than every skipped one and the
last action was not rejected (a rejected action's confidence is set to 0 across predictions,
which TED could then win). Otherwise the whole graph runs, as Rasa does.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

logger = logging.getLogger(__name__)

SLOW = frozenset({"TEDPolicy", "UnexpecTEDIntentPolicy"})
PLAN = "_trialbot_prediction_plan"  # the processor's attribute holding _plan's answer
# Messages of the person whose turns the policies see; far more than max_history's actions.
WINDOW_TURNS = 10
STATES_KEPT = 2000
# Per conversation: the tracker of its events up to a cut, and the event just before the cut,
# brought forward to the next cut by the few events in between (the tracker store hands out
# the same event objects turn after turn).
_states: OrderedDict[str, tuple[int, Any, Any]] = OrderedDict()
_installed = False


def _state_at(sender_id: str, events: list[Any], cut: int, slots: Any) -> Any:
    """The conversation's tracker after `events[:cut]`."""
    from rasa.shared.core.trackers import DialogueStateTracker

    known = _states.get(sender_id)
    if known is not None and known[0] <= cut and events[known[0] - 1] is known[1]:
        then = known[2]
        for event in events[known[0] : cut]:
            then.update(event)
    else:
        then = DialogueStateTracker.from_events(sender_id, events[:cut], slots)
    _states[sender_id] = (cut, events[cut - 1], then)
    _states.move_to_end(sender_id)
    while len(_states) > STATES_KEPT:
        _states.popitem(last=False)
    return then


def recent(tracker: Any, slots: Any) -> Any:
    """A tracker of the conversation's last WINDOW_TURNS messages, opened by its state then."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        ConversationPaused,
        LoopInterrupted,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    events = list(tracker.events)
    said = [i for i, event in enumerate(events) if isinstance(event, UserUttered)]
    if len(said) <= WINDOW_TURNS:
        return tracker
    cut = said[-WINDOW_TURNS]
    while cut > 0 and not (
        isinstance(events[cut - 1], ActionExecuted)
        and events[cut - 1].action_name == ACTION_LISTEN_NAME
    ):
        cut -= 1
    cut = max(cut - 1, 0)  # from the action_listen that waited for that message
    if cut == 0:
        return tracker
    then = _state_at(tracker.sender_id, events, cut, slots)
    opening: list[Any] = [
        SlotSet(name, slot.value)
        for name, slot in then.slots.items()
        if slot.value != slot.initial_value
    ]
    if then.active_loop is not None and then.active_loop.name:
        opening.append(ActiveLoop(then.active_loop.name))
        if then.active_loop.is_interrupted:
            opening.append(LoopInterrupted(True))
    if then.is_paused():
        opening.append(ConversationPaused())
    return DialogueStateTracker.from_events(tracker.sender_id, opening + events[cut:], slots)


def _plan(processor: Any) -> tuple[list[str], int] | None:
    """The cheap policies' nodes, and the highest priority of the skipped ones; None when the
    model's ensemble is not Rasa's default one or there is nothing to skip."""
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble

    schema = processor.model_metadata.predict_schema
    target = processor.model_metadata.core_target
    ensemble = schema.nodes.get(target)
    if ensemble is None or ensemble.uses is not DefaultPolicyPredictionEnsemble:
        return None
    policies = [name for key, name in ensemble.needs.items() if key.startswith("policy")]
    slow = [name for name in policies if schema.nodes[name].uses.__name__ in SLOW]
    if not slow or len(slow) == len(policies):
        return None
    priority = max(
        int(
            {**schema.nodes[name].uses.get_default_config(), **schema.nodes[name].config}[
                "priority"
            ]
        )
        for name in slow
    )
    return [name for name in policies if name not in slow], priority


def install() -> None:
    """Once per process."""
    global _installed
    if _installed:
        return
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor
    from rasa.engine.constants import PLACEHOLDER_TRACKER
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected

    original = MessageProcessor._predict_next_with_tracker

    def _rejected_last(tracker: Any) -> bool:
        last = next(
            (
                event
                for event in reversed(tracker.events)
                if isinstance(event, (ActionExecutionRejected, ActionExecuted))
            ),
            None,
        )
        return isinstance(last, ActionExecutionRejected)

    def predict(self: MessageProcessor, tracker: Any) -> PolicyPrediction:
        if not hasattr(self, PLAN):  # a processor per model: its plan is its own
            setattr(self, PLAN, _plan(self))
        plan = getattr(self, PLAN)
        if tracker.followup_action:
            return original(self, tracker)  # no prediction: the action set to follow
        window = recent(tracker, self.domain.slots)
        if plan is not None and not _rejected_last(window):
            nodes, skipped_priority = plan
            results = self.graph_runner.run(inputs={PLACEHOLDER_TRACKER: window}, targets=nodes)
            predictions = [results[name] for name in nodes]
            best = max(predictions, key=lambda p: (p.max_confidence, p.policy_priority))
            if (
                best.max_confidence >= 1.0
                and best.policy_priority > skipped_priority
                and not any(p.is_end_to_end_prediction for p in predictions)
            ):
                return DefaultPolicyPredictionEnsemble().combine_predictions(
                    predictions, window, self.domain
                )
        target = self.model_metadata.core_target
        prediction: PolicyPrediction = self.graph_runner.run(
            inputs={PLACEHOLDER_TRACKER: window}, targets=[target]
        )[target]
        return prediction

    MessageProcessor._predict_next_with_tracker = predict  # type: ignore[method-assign]
    MessageProcessor._has_session_expired = _has_session_expired  # type: ignore[method-assign]
    _installed = True


def _has_session_expired(self: Any, tracker: Any) -> bool:
    """Rasa's check, from the latest message the tracker holds instead of a search of the
    applied events (which rebuilt the whole conversation's list on every turn): the same
    event, as the tracker's state is the replay of its applied events."""
    import time

    if not self.domain.session_config.are_sessions_enabled():
        return False
    latest = tracker.latest_message
    if latest is None or latest.is_empty():
        return False  # no message from the person yet (or since a restart)
    minutes = (time.time() - latest.timestamp) / 60
    return bool(minutes > self.domain.session_config.session_expiration_time)
