"""WeChat's safe-mode message crypto: wechatpy's, without its per-message set-up costs.

wechatpy builds a new AES cipher for every message, draws the 16 random bytes of each reply with
`random.sample`, and parses the encrypted envelope with xmltodict. Here one cipher is built once, the
random prefix comes from the OS, and a flat envelope is read with the fast parser (bot/wechat/parse.py);
the message format, the signature and every error are wechatpy's (its own code does the rest).
"""

from __future__ import annotations

import secrets

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.crypto.cryptography import WeChatCipher
from wechatpy.utils import to_text

from bot.wechat.parse import flat_fields


class _SharedPrpCrypto(PrpCrypto):
    def __init__(self, cipher: WeChatCipher):  # noqa: D107 - wechatpy's constructor builds the cipher; reuse one
        self.cipher = cipher

    def get_random_string(self) -> str:
        return secrets.token_hex(8)  # 16 characters, as wechatpy's


class FastWeChatCrypto(WeChatCrypto):
    def __init__(self, token: str, encoding_aes_key: str, app_id: str):
        super().__init__(token, encoding_aes_key, app_id)
        self._prp = _SharedPrpCrypto(WeChatCipher(self.key))

    def _prp_for(self, _key) -> PrpCrypto:
        return self._prp

    def encrypt_message(self, msg, nonce, timestamp=None):
        return self._encrypt_message(msg, nonce, timestamp, self._prp_for)

    def decrypt_message(self, msg, signature, timestamp, nonce):
        if not isinstance(msg, dict):
            fields = flat_fields(to_text(msg))
            if fields is not None:  # otherwise wechatpy parses it (and raises what it raises)
                msg = fields
        return self._decrypt_message(msg, signature, timestamp, nonce, self._prp_for)
