# Writes the outbreak series medgen's epi module is tested and benchmarked on (data/epi/) from
# the R packages Debian ships: r-cran-epiestim (daily outbreak incidence with the serial
# interval of each disease) and r-cran-surveillance (long weekly surveillance series).
# Run once, from the repository root, where R and both packages are installed:
#   apt-get install --no-install-recommends r-base-core r-cran-epiestim r-cran-surveillance
#   Rscript scripts/epi/export_epi_data.R
# Output: data/epi/<name>.csv (t, label, cases) and data/epi/series.json (metadata: step,
# serial interval in steps, source). Deterministic: the same package versions give the same bytes.
suppressMessages(library(surveillance))
out <- "data/epi"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

epiestim <- function(name) {
  e <- new.env()
  load(file.path(system.file("data", package = "EpiEstim"), paste0(name, ".rda")), envir = e)
  get(name, e)
}

si_mean <- function(w) sum((seq_along(w) - 1) * w) / sum(w)

# A daily serial interval (w[1] is lag 0 days) aggregated to weekly lags: a lag of d = 7q + r days
# between onsets falls q weeks apart with probability (7 - r) / 7 and q + 1 weeks apart with
# probability r / 7 (onsets uniform over the days of the week). Lag 0 weeks is dropped and the
# rest renormalised (renewal models need w_0 = 0); the share dropped is reported.
weekly_si <- function(w) {
  d <- seq_along(w) - 1
  wk <- numeric(ceiling(max(d) / 7) + 2)
  for (i in seq_along(w)) {
    q <- d[i] %/% 7; r <- d[i] %% 7
    wk[q + 1] <- wk[q + 1] + w[i] * (7 - r) / 7
    wk[q + 2] <- wk[q + 2] + w[i] * r / 7
  }
  wk <- wk / sum(wk)
  list(si = c(0, wk[-1] / sum(wk[-1])), lag0 = wk[1])
}

series <- list()
write_series <- function(name, cases, labels, step, si, si_mean_steps, description, source, note = NULL) {
  stopifnot(all(cases >= 0), all(cases == round(cases)))
  df <- data.frame(t = seq_along(cases) - 1, label = labels, cases = as.integer(cases))
  write.csv(df, file.path(out, paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
  s <- list(name = name, file = paste0(name, ".csv"), step = step, steps = length(cases),
            total_cases = sum(cases), si = round(si / sum(si), 6), si_mean_steps = round(si_mean_steps, 4),
            description = description, source = source)
  if (!is.null(note)) s$note <- note
  series[[length(series) + 1]] <<- s
}

days <- function(n) paste0("day ", seq_len(n) - 1)
weeks <- function(start_year, n) {
  y <- start_year + (seq_len(n) - 1) %/% 52
  w <- (seq_len(n) - 1) %% 52 + 1
  sprintf("%d-W%02d", y, w)
}

flu <- epiestim("Flu2009")
write_series("flu2009", flu$incidence$I, format(flu$incidence$dates), "day", flu$si_distr, si_mean(flu$si_distr),
             "pandemic H1N1 influenza, 2009: daily incidence of an outbreak in a school in Pennsylvania",
             "EpiEstim::Flu2009 (r-cran-epiestim, GPL-2+); data from Cauchemez et al. (2011), serial interval from Morgan et al. (2010) / Cauchemez et al. (2011)")
mea <- epiestim("Measles1861")
write_series("measles1861", mea$incidence, days(length(mea$incidence)), "day", mea$si_distr, si_mean(mea$si_distr),
             "measles, Hagelloch (Germany), 1861: daily onsets",
             "EpiEstim::Measles1861 (r-cran-epiestim, GPL-2+); data from Groendyke et al. (2011)")
sm <- epiestim("Smallpox1972")
write_series("smallpox1972", sm$incidence, days(length(sm$incidence)), "day", sm$si_distr, si_mean(sm$si_distr),
             "smallpox, Kosovo, 1972: daily onsets",
             "EpiEstim::Smallpox1972 (r-cran-epiestim, GPL-2+); data from Fenner et al. (1988), serial interval from Gani & Leach (2001)")
sa <- epiestim("SARS2003")
write_series("sars2003", sa$incidence, days(length(sa$incidence)), "day", sa$si_distr, si_mean(sa$si_distr),
             "SARS, Hong Kong, 2003: daily onsets",
             "EpiEstim::SARS2003 (r-cran-epiestim, GPL-2+); data from Cori et al. (2009), serial interval from Lipsitch et al. (2003)")

wf <- weekly_si(flu$si_distr)
data(influMen)
write_series("influenza_de", influMen$observed[, "influenza"], weeks(2001, nrow(influMen$observed)), "week", wf$si,
             si_mean(flu$si_distr) / 7,
             "influenza, Germany, 2001-2006: weekly notified cases",
             "surveillance::influMen (r-cran-surveillance, GPL-2); Robert Koch-Institut SurvStat, queried 25 July 2007",
             sprintf("serial interval: EpiEstim's Flu2009 daily distribution aggregated to weeks (%.0f%% falls within the same week and is left out of the renewal's weights)", 100 * wf$lag0))
data(fluBYBW)
write_series("influenza_bybw", rowSums(observed(fluBYBW)), weeks(2001, nrow(observed(fluBYBW))), "week", wf$si,
             si_mean(flu$si_distr) / 7,
             "influenza A and B, Bavaria and Baden-Wuerttemberg (140 districts summed), 2001-2008: weekly notified cases",
             "surveillance::fluBYBW (r-cran-surveillance, GPL-2); Robert Koch-Institut SurvStat, queried 6 March 2009",
             sprintf("serial interval: as influenza_de (%.0f%% within the same week left out)", 100 * wf$lag0))
wm <- weekly_si(mea$si_distr)
data(measlesDE)
write_series("measles_de", rowSums(observed(measlesDE)), weeks(2005, nrow(observed(measlesDE))), "week", wm$si,
             si_mean(mea$si_distr) / 7,
             "measles, Germany (16 states summed), 2005-2007: weekly notified cases",
             "surveillance::measlesDE (r-cran-surveillance, GPL-2); Robert Koch-Institut SurvStat, queried 14 October 2009",
             sprintf("serial interval: EpiEstim's Measles1861 daily distribution aggregated to weeks (%.0f%% within the same week left out)", 100 * wm$lag0))

# JSON by hand (no jsonlite in Debian's minimal R): numbers, strings and number vectors only.
js <- function(x) {
  if (is.character(x)) return(paste0('"', gsub('"', '\\\\"', x), '"'))
  if (length(x) == 1) return(format(x, scientific = FALSE, trim = TRUE))
  paste0("[", paste(format(x, scientific = FALSE, trim = TRUE, drop0trailing = TRUE), collapse = ", "), "]")
}
lines <- sapply(series, function(s) paste0("  {", paste(sprintf('"%s": %s', names(s), sapply(s, js)), collapse = ", "), "}"))
writeLines(c("[", paste(lines, collapse = ",\n"), "]"), file.path(out, "series.json"))
cat(sprintf("%s: %d steps, %d cases\n", sapply(series, `[[`, "name"), sapply(series, `[[`, "steps"), sapply(series, `[[`, "total_cases")), sep = "")
