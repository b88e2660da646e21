"""A drill-only mail backend (bench/faults.py): one file per message and recipient in
BENCH_MAIL_DIR, written after BENCH_MAIL_DELAY seconds, as a slow mail server takes a while before it
has the message. The file appears only once the message is complete (written, then renamed).
BENCH_MAIL_HOLD (seconds, default 0) waits after the file is written, before returning: the moment
between a mail leaving and the sender's commit, widened so that a drill can kill the sender in it."""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(os.environ["BENCH_MAIL_DIR"])
        delay = float(os.environ.get("BENCH_MAIL_DELAY", "0.2"))
        sent = 0
        for message in email_messages:
            time.sleep(delay)
            for recipient in message.recipients():
                partial = folder / f".{uuid.uuid4().hex}.part"
                partial.write_bytes(message.message().as_bytes())
                partial.rename(folder / f"{recipient}.{uuid.uuid4().hex[:8]}.eml")
            time.sleep(float(os.environ.get("BENCH_MAIL_HOLD", "0")))
            sent += 1
        return sent
