"""The documents a customer receives: e-invoice XML (UBL 2.1, CII D16B) and its check by the
official rules (`rules`), before anything is issued."""
