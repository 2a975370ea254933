import Foundation
import HeraldService
import HeraldSimulation
import JourneyEngine
import JourneyLanguage

/// `herald dry-run --format html`: one self-contained HTML file (no network, no server) with the
/// console's journey maps carrying the dry-run's counts, each journey's funnel, delivery decisions
/// and experiment results, and a searchable list of customers with their timelines.
struct DryRunHTMLReport {
    var result: DryRunResult

    func render() throws -> String {
        let e = JourneyMap.escapeHTML
        let report = result.report
        // The same counters the service keeps, counted from the replay's timelines.
        var counted = EngineRecords(timeline: result.customers.flatMap(\.timeline)).counters
        // Waiting at the end of the replay, per step and per variant: the service's gauge.
        for customer in result.customers {
            for (counter, delta) in EngineRecords.waitingDelta(before: nil, after: customer.finalState) where counter.metric != "waiting" {
                counted[counter, default: 0] += delta
            }
        }
        var out = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Herald dry-run report</title>
            <style>\(try JourneyMap.styleSheet())
            .customer[hidden] { display: none; } .customer pre { margin: 4px 0 12px; white-space: pre-wrap; }
            details.journey { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
            details.journey > summary { cursor: pointer; font-weight: 700; }
            </style></head><body>
            <header class="bar"><span class="brand">Herald dry-run report</span></header><main>
            <p class="muted">Replay from \(e(Value.formatTime(result.from))) to \(e(Value.formatTime(result.until))) · \
            \(result.customers.count) customers · \(result.eventCount) events · seed \(result.seed)</p>

            """
        out += "<h2>Journeys</h2><table class=\"journeys\"><tr><th>Journey</th><th>Stage</th><th class=\"n\">Entries</th>"
        out += "<th class=\"n\">Active at end</th><th class=\"n\">Conversions</th><th class=\"n\">Rate</th><th>Median time to convert</th>"
        out += "<th class=\"n\">Sent</th><th class=\"n\">Skipped</th><th class=\"n\">Deferred</th><th class=\"n\">Fell back</th></tr>"
        for journey in report.journeys {
            out += "<tr data-journey=\"\(e(journey.journey))\"><td><a href=\"#journey-\(e(journey.journey))\">\(e(journey.journey))</a>"
            out += "<div class=\"muted\">\(e(journey.title))</div></td><td>\(e(journey.stage?.rawValue ?? ""))</td>"
            out += "<td class=\"n\">\(journey.entries)</td><td class=\"n\">\(journey.active)</td><td class=\"n\">\(journey.conversions)</td>"
            out +=
                "<td class=\"n\">\(Self.percent(journey.conversionRate))</td><td>\(journey.medianTimeToConvert.map(DurationText.format) ?? "–")</td>"
            out += "<td class=\"n\">\(journey.decisions.sent)</td><td class=\"n\">\(journey.decisions.skipped)</td>"
            out += "<td class=\"n\">\(journey.decisions.deferred)</td><td class=\"n\">\(journey.decisions.fellBack)</td></tr>"
        }
        out += "</table>"

        for journey in report.journeys {
            guard let program = result.engine.catalog.journeys.first(where: { $0.name == journey.journey }) else { continue }
            var counts: [String: [String: Int64]] = [:]
            for (counter, count) in counted where counter.journey == journey.journey && counter.version == journey.version {
                counts[counter.step, default: [:]][counter.metric, default: 0] += count
            }
            for step in journey.steps { counts[step.step, default: [:]]["waiting"] = Int64(step.waiting) }
            out +=
                "<details class=\"journey\" id=\"journey-\(e(journey.journey))\" open><summary>\(e(journey.journey)) · \(e(journey.title))</summary>"
            out += "<div class=\"panels\"><section><h3>Funnel</h3><table><tr><th>step</th><th class=\"n\">reached</th>"
            out += "<th class=\"n\">left here</th><th class=\"n\">waiting at end</th><th class=\"n\">drop-off</th></tr>"
            for step in journey.steps {
                out += "<tr><td>\(e(step.step))</td><td class=\"n\">\(step.reached)</td><td class=\"n\">\(step.exitedHere)</td>"
                out += "<td class=\"n\">\(step.waiting)</td><td class=\"n\">\(Self.percent(step.dropOff))</td></tr>"
            }
            out += "</table></section><section><h3>Delivery decisions</h3><table>"
            for (kind, count) in [
                ("sent", journey.decisions.sent), ("skipped", journey.decisions.skipped), ("deferred", journey.decisions.deferred),
                ("fell back", journey.decisions.fellBack), ("cancelled", journey.decisions.cancelled),
            ] {
                out += "<tr><th>\(kind)</th><td class=\"n\">\(count)</td></tr>"
            }
            for (reason, count) in journey.decisions.reasons.sorted(by: { $0.key < $1.key }) {
                out += "<tr><td>\(e(reason))</td><td class=\"n\">\(count)</td></tr>"
            }
            out += "</table></section>"
            if let stats = journey.engagement, !stats.rows.isEmpty {
                // The table GET /v1/journeys/{name}/stats answers (docs/engagement.md).
                out += "<section><h3>Engagement per step</h3><table><tr><th>step</th><th>variant</th>"
                for metric in EngagementRecord.Metric.allCases { out += "<th class=\"n\">\(metric.rawValue)</th>" }
                out += "<th class=\"n\">revenue</th></tr>"
                for (name, row) in stats.rows.map({ ($0.step.isEmpty ? "(no message)" : $0.step, $0) }) + [("(total)", stats.total)] {
                    out += "<tr><td>\(e(name))</td><td>\(e(row.variant ?? ""))</td>"
                    for metric in EngagementRecord.Metric.allCases { out += "<td class=\"n\">\(row.count(metric))</td>" }
                    out += "<td class=\"n\">\(EngagementStats.money(row.revenue))</td></tr>"
                }
                out += "</table></section>"
            }
            for experiment in journey.experiments {
                out += "<section><h3>Experiment \(e(experiment.split))</h3><table><tr><th>variant</th><th class=\"n\">entries</th>"
                out += "<th class=\"n\">conversions</th><th class=\"n\">rate</th><th class=\"n\">uplift vs control</th><th class=\"n\">p</th></tr>"
                for variant in experiment.variants {
                    out += "<tr><td>\(e(variant.name))\(variant.isControl ? " (control)" : "")</td><td class=\"n\">\(variant.entries)</td>"
                    out += "<td class=\"n\">\(variant.conversions)</td><td class=\"n\">\(Self.percent(variant.conversionRate))</td>"
                    out += "<td class=\"n\">\(Self.percent(variant.upliftVsControl))</td>"
                    out += "<td class=\"n\">\(variant.pValue.map { String(format: "%.3f", $0) } ?? "–")</td></tr>"
                }
                out += "</table></section>"
            }
            out += "</div><div class=\"map\">\(JourneyMap.svg(program, counts: counts, winners: result.winners))</div></details>"
        }

        out += """
            <h2>Customers</h2>
            <p><input id="customer-search" type="search" placeholder="search customers by id or timeline text" aria-label="search customers" size="50">
            <span id="customer-count" class="muted"></span></p>
            <div id="customers">
            """
        for customer in result.customers {
            let lines = TimelineText.lines(customer)
            out += "<div class=\"customer\" data-id=\"\(e(customer.id))\"><h3>\(e(customer.id))</h3>"
            out += "<pre>\(e(lines.isEmpty ? "(nothing happened)" : lines.joined(separator: "\n")))</pre></div>"
        }
        out += """
            </div></main>
            <script>
            (function () {
              var input = document.getElementById("customer-search");
              var rows = Array.prototype.slice.call(document.querySelectorAll("#customers .customer"));
              var count = document.getElementById("customer-count");
              function filter() {
                var query = input.value.trim().toLowerCase();
                var shown = 0;
                rows.forEach(function (row) {
                  var match = !query || row.getAttribute("data-id").toLowerCase().indexOf(query) >= 0 ||
                    row.textContent.toLowerCase().indexOf(query) >= 0;
                  row.hidden = !match;
                  if (match) shown += 1;
                });
                count.textContent = shown + " of " + rows.length + " customers";
              }
              input.addEventListener("input", filter);
              filter();
            })();
            </script>
            </body></html>

            """
        return out
    }

    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", $0 * 100) } ?? "–"
    }
}
