# Read every CSV named on the command line as a researcher would, with readr's defaults
# (readr::read_csv guesses the column types; "" and "NA" are missing), and print what R got:
# per file, each column's class and values, and how many parsing problems readr reported.
suppressPackageStartupMessages({
  library(readr)
  library(jsonlite)
})
out <- list()
for (path in commandArgs(trailingOnly = TRUE)) {
  df <- read_csv(path, show_col_types = FALSE, progress = FALSE)
  out[[path]] <- list(
    problems = nrow(problems(df)),
    classes = as.list(vapply(df, function(column) class(column)[1], "")),
    columns = lapply(as.list(df), function(column) as.list(column))
  )
}
cat(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, null = "null"))
