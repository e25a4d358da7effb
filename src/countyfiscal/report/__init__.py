"""The report: notebooks run through papermill into a fresh folder (render), and reports/index.html (index)."""
