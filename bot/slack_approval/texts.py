"""Every word a moderator reads in the approval app: card labels, verdicts, notices,
refusals, modal titles, reminders. Templates are Tactline's own mrkdwn, filled with
:func:`bot.slack_approval.mrkdwn.fmt` (which escapes what goes into them)."""

from __future__ import annotations

# -- cards ---------------------------------------------------------------------------------

BUTTONS = {
    "approve": "Approve",
    "edit": "Edit",
    "reject": "Reject",
    "escalate": "Escalate",
    "take_over": "Take over",
}
URGENT = "🚨 URGENT · "
HEAD = "{urgent}{intent} → {group} ({action})"
NO_INTENT = "message"
ORIGIN = "{} on {} · {}"
OPEN = "open"
LATER_IN_MESSAGE = "⚠️ *Later in the message:*\n{}"
CLASSIFICATION = (
    "intent {} ({:.0%}{}) · tone {} · toxicity {:.0%}{} · {} · flags: {} · decided by {}"
)
UNSURE = ", *unsure: check the label*"
TOXIC = " (toxic)"
NO_FLAGS = "none"
UNKNOWN_MODEL = "unknown"
RULES = "rules: {} · policy {}"
TICKET = "*Ticket:* {}"
WAITING = "⏳ {}"
DRAFTING = "drafting…"
NO_DRAFT = "no draft: write the reply (Take over)"
DRAFT = "*Draft v{}:*\n{}"
CHECKS = "checks: {}"
BURST = "*Then {} wrote {} more (one reply answers all):*"
BURST_HIDDEN = "({} earlier not shown)"
FALLBACK = "{}: {}"
FALLBACK_WAITING = "Waiting for a draft for {}"
FALLBACK_DRAFT = "Draft for {}"
FALLBACK_ESCALATED = "Escalated to {}"
FALLBACK_STATUS = "Draft {}: {}"
# What the draft learned from: the team's sent reply to a close message, or a rejected draft
# it resembles (with the reason the moderator gave).
BASED_ON = "💡 Based on the reply to “{}” approved by {} ({:.0%} alike)"
CLOSE_TO_REJECTED = "⚠️ Close to a draft {} rejected for a similar message: “{}”"
NO_REASON = "no reason given"
# "Not right?": correct how the message was read, in two clicks.
NOT_RIGHT = "Not right?"
CORRECT_INTENT_GROUP = "It is really…"
CORRECT_INTENT = "{}"
CORRECT_TONE_GROUP = "Its tone is…"
TONES = {"toxic": "toxic", "not_toxic": "not toxic", "sarcastic": "sarcastic"}

# -- outcomes on a card --------------------------------------------------------------------

VERDICT_WORDS = {
    "approve": "✅ Approved",
    "edit": "✏️ Edited and approved",
    "take_over": "✍️ Taken over",
    "reject": "🚫 Rejected",
    "escalate": "↗️ Escalated",
}
VERDICT = "{} by {} {}"
VERDICT_REASON = " — “{}”"
VERDICT_TARGET = " → {}"
SOURCE_CHANGED = "⏸️ The source message was edited or deleted: nothing was posted."
POSTING = "Posting…"
POSTED = "📬 Posted on {} {}: {}"
VIEW_REPLY = "view the reply"
POSTED_AS = "message {}"
MAYBE_POSTED = (
    "⚠️ Delivery outcome unknown ({}). The reply *may have been posted* — check "
    "the chat{} before posting it again. The admins were told."
)
OPEN_MESSAGE = "open the message"
NOT_DELIVERED = "⚠️ Not delivered: {}. The admins were told."

# -- notes kept with a draft ---------------------------------------------------------------

NOTE_TAKEN_OVER_EARLY = "taken over by a moderator before the machine draft"
NOTE_ESCALATED = "escalated to {}"

# -- notices and refusals (only the clicker sees them) ----------------------------------------

DRAFT_GONE = "This draft no longer exists: nothing done."
MESSAGE_GONE = "This message no longer exists: nothing done."
NOTHING_DONE = "Nothing done: {}."
SOURCE_EDITED = "its source message was edited or deleted"
ALREADY = "it is already {}"
NOT_AN_APPROVER = "Only the {} approvers can decide this draft."
NOT_AN_ANSWERER = "Only the {} approvers can answer this message."
CANNOT_TELL = "Nothing done: cannot tell whether you are a {} approver: {}."
DRAFT_IS = "Nothing done: the draft is {}."
NOT_A_CORRECTOR = "Only the {} approvers can correct how this message was read."
UNKNOWN_LABEL = "Nothing done: “{}” is not an intent or a tone the policy knows."
NOT_CLASSIFIED = "Nothing done: this message has not been classified yet."
CORRECTED = (
    "Thanks: the message is now read as {}, and decided again: {} → {}. "
    "The classifier learns from it."
)
CORRECTED_REROUTED = " It moved to {}: a new card is there."
MISSING_SCOPE = (
    "the approval app lacks the `{scope}` scope, so Slack will not list user group "
    "{usergroup}: an admin must add it and reinstall the app"
)
GROUP_UNLISTED = "Slack would not list user group {usergroup} ({error})"

# -- modals ---------------------------------------------------------------------------------

# kind: (title, label of the text box)
TEXT_MODALS = {
    "reject": ("Reject", "Why? (kept for the report)"),
    "edit": ("Edit the reply", "The reply that will be posted"),
    "take_over": ("Write the reply", "Your reply, posted as the brand"),
}
SUBMIT = "Submit"
CANCEL = "Cancel"
ESCALATE_TITLE = "Escalate"
ESCALATE_SUBMIT = "Escalate"
ESCALATE_TO = "To which group?"
ESCALATE_WHY = "Why (optional)"
EMPTY = "This cannot be empty."
UNKNOWN_GROUP = "No group “{}” in the policy: choose another."

# -- reminders and alerts -----------------------------------------------------------------

REMINDER = "⏰ This draft has waited {} min (target {} min). {}"
ALERT = ":rotating_light: "

# -- the operator, at start ----------------------------------------------------------------

TOKEN_REFUSED = "approval: Slack refused the bot token ({}): check ${}"
