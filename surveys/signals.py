"""What surveys announces, for higher apps to listen to (imports never climb).

``submitted_answers_changed`` is sent synchronously, inside the transaction that
changed a submitted response (a submit, or an edit after submitting): a receiver
that writes (reports refreshes its score tables) writes in that same
transaction, so the answers and what is derived from them commit together or
not at all.
"""

from django.dispatch import Signal

# Keyword arguments: survey_round (SurveyRound), team_id (int).
submitted_answers_changed = Signal()

# Round life cycle, sent inside the transaction of the write (surveys.services),
# so that a receiver's rows (notifications schedules what is due) commit with it.
# Keyword arguments: survey_round (SurveyRound).
round_created = Signal()
# Keyword arguments: survey_round (SurveyRound), previous_closes_at (datetime).
round_extended = Signal()
# Keyword arguments: survey_round (SurveyRound); the round's closes_at is now.
round_closed = Signal()
