"""The `pay` skill: look-to-pay. "pay this" (付款, bezahlen) or a merchant QR code in view opens a confirmation
that only the wearer's spoken "confirm" plus a gesture or PIN completes (activity.py)."""
