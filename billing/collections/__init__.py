"""Collections: reminders, late-payment interest, disputes, holds and promises."""
