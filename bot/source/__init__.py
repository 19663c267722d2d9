"""arXiv: IDs, categories, the announcement calendar, and the feed and API behind one gate.

First stop of the pipeline (source → summarize → store → match → cards → render → delivery);
everything here returns plain `Paper`s and knows nothing about chats.
"""
