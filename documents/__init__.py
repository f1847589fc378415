"""Decision documents: a plain view object in, .docx bytes out (design §6).

Pure: imports only the standard library, python-docx and num2words, nothing of this project.
"""

from documents.render import render_decision
from documents.view import DecisionView, ItemLine
from documents.words import amount_in_words, format_vnd

__all__ = ["DecisionView", "ItemLine", "amount_in_words", "format_vnd", "render_decision"]
