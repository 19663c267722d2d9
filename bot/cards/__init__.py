"""The platform-neutral summary card, its labels, and the library that builds each card once.

A paper is fetched and summarized once however many chats receive it; the card is what every
renderer and platform receives.
"""
