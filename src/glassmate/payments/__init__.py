"""Payments: merchant-presented QR codes (EMVCo), and (to come) the confirmation flow and the ledger."""
