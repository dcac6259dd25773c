import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # course.py: the notebook runner and header tool
sys.path.insert(0, str(ROOT / "tests"))  # exercise_checks.py: helpers of the checker tests
