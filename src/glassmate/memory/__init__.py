"""What the wearer asks the glasses to remember, recalled by meaning (service.py), and their control over what is
kept: retention, forgetting and export (privacy.py)."""
