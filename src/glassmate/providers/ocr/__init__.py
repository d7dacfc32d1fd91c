from glassmate.providers.ocr.base import OCR, OCRResult, TextLine

__all__ = ["OCR", "OCRResult", "TextLine"]
