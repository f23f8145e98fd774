"""Delivery by e-mail: RFC 5322 messages of issued documents and letters, sent over SMTP or
written as `.eml` drafts, each recorded in the store so that nothing is sent twice.

- `templates`: the subject and body per kind and language (`templates.toml`);
- `message`: the message itself (`email.message.EmailMessage`), its stable Message-ID;
- `config`: the mail server and sender (Settings, environment, the OS keyring);
- `smtp`: one delivery with retries, its outcome classified (sent, queued, failed);
- `outbox`: `.eml` drafts instead of SMTP;
- `record`: the store's `messages` rows — `sending` before the server is spoken to.

A layer beside `billing/documents`: it imports foundation and domain only; the pipeline
(`billing.pipeline.send`) puts it together with the workbook and the archive.
"""
