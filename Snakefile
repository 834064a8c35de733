# AI-Barometer workflow: raw survey data -> cleaning -> stratum weights -> bootstrap intervals ->
# cross-survey comparison -> figures and report. The workflow itself is in workflow/Snakefile.
include: "workflow/Snakefile"


# An included file's default target does not carry over to the including file, so name it here.
rule default:
    message:
        "default: every output of the workflow is made"
    default_target: True
    input:
        rules.all.input,
