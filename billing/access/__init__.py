"""Who may use the web portal and what they may do: roles and their permissions (`roles`),
users with Argon2-hashed passwords (`users`), their sessions (`sessions`), the audit log
(`audit`) and the login throttle (`throttle`), all kept in the store (`billing.store`); `login.log_in` puts the
last three together for one login attempt.

A layer of its own between the foundation and the interfaces: it imports only the
foundation, and the pipeline and the interfaces (the CLI, the web app) import it.
"""
