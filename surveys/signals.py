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
