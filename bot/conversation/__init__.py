"""The conversation: the assistant's registries, understanding (intents + matching), dialog state, texts, guide summaries."""
