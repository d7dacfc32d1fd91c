"""What the payment flow says, in the wearer's language (Chinese, English, German); amounts come from
`payments.speech.spoken_amount`."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "not_set_up": "Payments are not set up on this server.",
        "no_code": "I don't see a payment code. Look at the merchant's QR code and say pay this.",
        "amount_first": "First say how much to pay {merchant}.",
        "wallet_link": "This is a payment app's own code. Open it in that app; I can't pay it here.",
        "invalid": "This QR code is not a valid payment code, so I won't pay it.",
        "how_much": "How much do you want to pay {merchant}?",
        "fixed": "This code is for {amount}; the amount cannot be changed.",
        "cannot": "I can't pay that: {reason}.",
        "nothing_to_confirm": "There is no payment to confirm.",
        "say_confirm": "Say confirm to pay.",
        "declined": "The payment was declined: {reason}.",
        "expired_before": "The confirmation had expired; nothing was paid.",
        "paid": "Paid {amount} to {merchant}.",
        "nothing_to_cancel": "There is no payment to cancel.",
        "expired": "The payment expired; nothing was paid.",
        "cancelled": "Cancelled. Nothing was paid.",
        "pin": "enter your PIN",
        "button": "hold the button",
        "now": "Now {step} to pay {amount}.",
        "ask": "Pay {amount} to {merchant} in {city}? Say confirm, or cancel.",
        "pin-required": "Enter your PIN to pay.",
        "pin-not-set": "This wallet has no PIN yet; set one with glassmate pay pin.",
        "pin-locked": "Too many wrong PINs; the payment was cancelled.",
    },
    "zh": {
        "not_set_up": "这个服务器没有开通支付。",
        "no_code": "我没有看到付款码。请看着商家的二维码说“付款”。",
        "amount_first": "请先说要付给{merchant}多少钱。",
        "wallet_link": "这是支付应用自己的码，请在那个应用里打开；我不能在这里支付。",
        "invalid": "这个二维码不是有效的付款码，我不会支付。",
        "how_much": "要付给{merchant}多少钱？",
        "fixed": "这个码的金额是{amount}，不能更改。",
        "cannot": "我不能支付这笔钱：{reason}。",
        "nothing_to_confirm": "没有需要确认的付款。",
        "say_confirm": "请说“确认”来付款。",
        "declined": "付款被拒绝：{reason}。",
        "expired_before": "确认已经过期，没有付款。",
        "paid": "已向{merchant}支付{amount}。",
        "nothing_to_cancel": "没有可以取消的付款。",
        "expired": "付款已过期，没有付款。",
        "cancelled": "已取消，没有付款。",
        "pin": "输入密码",
        "button": "按住按钮",
        "now": "现在请{step}来支付{amount}。",
        "ask": "向{city}的{merchant}支付{amount}吗？请说“确认”或“取消”。",
        "pin-required": "请输入密码付款。",
        "pin-not-set": "这个钱包还没有设置密码。",
        "pin-locked": "密码错误次数太多，付款已取消。",
    },
    "de": {
        "not_set_up": "Zahlungen sind auf diesem Server nicht eingerichtet.",
        "no_code": "Ich sehe keinen Zahlungscode. Schau auf den QR-Code des Händlers und sag „bezahlen“.",
        "amount_first": "Sag zuerst, wie viel du {merchant} zahlen willst.",
        "wallet_link": "Das ist der Code einer Bezahl-App. Öffne ihn in der App; hier kann ich ihn nicht bezahlen.",
        "invalid": "Dieser QR-Code ist kein gültiger Zahlungscode, ich bezahle ihn nicht.",
        "how_much": "Wie viel möchtest du {merchant} zahlen?",
        "fixed": "Dieser Code ist über {amount}; der Betrag lässt sich nicht ändern.",
        "cannot": "Das kann ich nicht bezahlen: {reason}.",
        "nothing_to_confirm": "Es gibt keine Zahlung zu bestätigen.",
        "say_confirm": "Sag „bestätigen“, um zu zahlen.",
        "declined": "Die Zahlung wurde abgelehnt: {reason}.",
        "expired_before": "Die Bestätigung war abgelaufen; es wurde nichts bezahlt.",
        "paid": "{amount} an {merchant} bezahlt.",
        "nothing_to_cancel": "Es gibt keine Zahlung abzubrechen.",
        "expired": "Die Zahlung ist abgelaufen; es wurde nichts bezahlt.",
        "cancelled": "Abgebrochen. Es wurde nichts bezahlt.",
        "pin": "gib deine PIN ein",
        "button": "halte die Taste gedrückt",
        "now": "Jetzt {step}, um {amount} zu zahlen.",
        "ask": "{amount} an {merchant} in {city} zahlen? Sag „bestätigen“ oder „abbrechen“.",
        "pin-required": "Gib deine PIN ein, um zu zahlen.",
        "pin-not-set": "Diese Geldbörse hat noch keine PIN.",
        "pin-locked": "Zu viele falsche PINs; die Zahlung wurde abgebrochen.",
    },
}


def text(language: str, key: str, **values: Any) -> str:
    """The flow's sentence `key` in `language` (English when the language is not one of the three)."""
    return TEXTS.get(language, TEXTS["en"])[key].format(**values)
