"""为民服务助手: the resident-service assistant's domain (no Tornado imports outside app.py)."""
