"""What people can do and read: the command language, its replies and the words in both languages.

Adapters in `handlers/` turn their platform's updates into `service` calls and the replies back
into messages; nothing here imports a platform SDK.
"""
