"""The Gradio reviewer app's pages. Only app.py imports the modules that import Gradio."""
