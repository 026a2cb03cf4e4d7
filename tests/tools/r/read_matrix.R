# Read raremix's codes-by-cases matrix as R users do: readr::read_csv, readxl::read_excel,
# haven::read_sav and haven::read_dta. Prints per file: the column names, each column's class,
# its values (labelled columns through haven::as_factor, i.e. as their value labels), the
# variable labels and value labels haven found, and readr's parsing problems for the CSV.
suppressPackageStartupMessages({
  library(readr)
  library(readxl)
  library(haven)
  library(jsonlite)
})
describe <- function(df, problems = 0L) {
  labelled <- vapply(df, is.labelled, TRUE)
  list(
    problems = problems,
    names = names(df),
    classes = as.list(vapply(df, function(column) class(column)[1], "")),
    labelled = as.list(labelled),
    values = lapply(df, function(column) {
      if (is.labelled(column)) as.list(as.character(as_factor(column, levels = "labels")))
      else as.list(column)
    }),
    variable_labels = lapply(df, function(column) {
      label <- attr(column, "label", exact = TRUE)
      if (is.null(label)) NA else label
    }),
    value_labels = lapply(df, function(column) {
      labels <- attr(column, "labels", exact = TRUE)
      if (is.null(labels)) NULL else as.list(setNames(as.numeric(labels), names(labels)))
    })
  )
}
out <- list()
for (path in commandArgs(trailingOnly = TRUE)) {
  ext <- tools::file_ext(path)
  out[[path]] <- switch(ext,
    csv = {
      df <- read_csv(path, show_col_types = FALSE, progress = FALSE)
      describe(df, nrow(problems(df)))
    },
    xlsx = describe(read_excel(path)),
    sav = describe(read_sav(path)),
    dta = describe(read_dta(path)),
    stop("no reader for ", path)
  )
}
cat(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, null = "null"))
