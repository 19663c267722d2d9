"""Which chats want which papers, decided once per mailing for every chat at once."""
