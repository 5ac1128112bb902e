"""The published analysis of a year: figures from reviewers' answers, DOCX and HTML documents,
year on year, the register and the sample, examples of practice, agreement from the field."""
