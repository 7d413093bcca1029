"""Grading: the grader registry and protocol (`registry`), attempts and their feedback
(`attempts`), progress pushed to pages (`live`), and the quiz grader (`quiz`)."""
