# R survey's rescaled bootstrap on the benchmark sample (bench/bench_targets.py, comparison (a)).
# Rscript --vanilla survey_mrb.R DATA.csv POP.csv B SEED OUT.csv
# DATA.csv: stratum, y0..y{K-1} (0/1); POP.csv: stratum, N. Prints "ESTIMATION_SECONDS <s>": the
# elapsed time of as.svrepdesign(type = "mrbbootstrap") + svymean alone (reading the files and
# loading the package excluded). OUT.csv: variable, estimate, se.
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
pop <- read.csv(args[2], stringsAsFactors = FALSE)
B <- as.integer(args[3])
set.seed(as.integer(args[4]))
d$N <- pop$N[match(d$stratum, pop$stratum)]
variables <- grep("^y[0-9]+$", names(d), value = TRUE)
formula <- as.formula(paste("~", paste(variables, collapse = " + ")))
start <- proc.time()[["elapsed"]]
des <- svydesign(ids = ~1, strata = ~stratum, fpc = ~N, data = d)
rep <- as.svrepdesign(des, type = "mrbbootstrap", replicates = B)
m <- svymean(formula, rep)
elapsed <- proc.time()[["elapsed"]] - start
cat(sprintf("ESTIMATION_SECONDS %.3f\n", elapsed))
write.csv(data.frame(variable = variables, estimate = as.numeric(coef(m)), se = as.numeric(SE(m))),
          args[5], row.names = FALSE)
