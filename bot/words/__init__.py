"""Every word a person reads, in English and Chinese: command replies, notices and card labels.

One catalogue below every layer that speaks (delivery, the service, the adapters), so a chat
that switched to `/lang zh` hears the whole bot in Chinese and a new string is added once.
"""
