from glassmate.providers.codes.base import Code, CodeScanner
from glassmate.providers.codes.zxing import ZXingScanner

__all__ = ["Code", "CodeScanner", "ZXingScanner"]
