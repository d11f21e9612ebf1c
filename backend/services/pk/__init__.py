"""PK battles: invitation, live gift scoring, server-decided end, rewards and leaderboards.

``rules`` holds the numbers and decisions (durations, who wins, what each host earns),
``rows`` the battle lookups every part shares, ``presenters`` turns rows into wire models,
``battles`` runs a battle's life, ``gifting`` scores gifts and ``rankings`` answers records and
leaderboards.
"""

from backend.services.pk.battles import PKBattleService
from backend.services.pk.rules import END_DEADLINE, INVITE_DEADLINE

__all__ = ["END_DEADLINE", "INVITE_DEADLINE", "PKBattleService"]
