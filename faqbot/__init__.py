"""faqbot: the web service that wires the Rasa bot, the knowledge base and the human handoff together."""
