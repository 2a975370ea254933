import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

/// Wall-clock arithmetic against Foundation's `Calendar` and against hand-checked DST days.
struct PolicyCalendarTests {
    @Test(
        "local day boundaries agree with Foundation.Calendar",
        arguments: [
            "UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "America/Havana",
            "Asia/Beirut", "Asia/Kolkata", "Pacific/Chatham", "America/Sao_Paulo", "Pacific/Apia",
        ])
    func dayBoundariesMatchFoundation(zone: String) throws {
        let local = LocalCalendar(identifier: zone)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: zone))
        var random = SplitMix64(seed: 0xCA1E_DA25)
        let from = try Fixture.instant("2010-01-01T00:00:00Z")
        let to = try Fixture.instant("2030-12-31T00:00:00Z")
        for _ in 0..<2_000 {
            let instant = (from + Double.random(in: 0..<(to - from), using: &random)).rounded(.down)
            let date = Date(timeIntervalSince1970: instant)
            let start = calendar.startOfDay(for: date)
            let nextDay = try #require(calendar.date(byAdding: .day, value: 1, to: start))
            let next = calendar.startOfDay(for: nextDay)
            #expect(local.startOfDay(containing: instant) == start.timeIntervalSince1970, "\(zone) \(date)")
            #expect(local.startOfNextDay(after: instant) == next.timeIntervalSince1970, "\(zone) \(date)")
            let components = calendar.dateComponents([.hour, .minute], from: date)
            #expect(local.minuteOfDay(at: instant) == (components.hour ?? 0) * 60 + (components.minute ?? 0))
        }
    }

    @Test(
        "local days last 23, 24 or 25 hours across DST",
        arguments: [
            ("America/New_York", "2026-03-08T12:00:00-04:00", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"),
            ("America/New_York", "2026-11-01T12:00:00-05:00", "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00"),
            ("Europe/Berlin", "2026-03-29T12:00:00+02:00", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),
            ("Europe/Berlin", "2026-10-25T12:00:00+01:00", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
        ])
    func dstDays(zone: String, at: String, start: String, next: String) throws {
        let local = LocalCalendar(identifier: zone)
        #expect(local.startOfDay(containing: try Fixture.instant(at)) == (try Fixture.instant(start)))
        #expect(local.startOfNextDay(after: try Fixture.instant(at)) == (try Fixture.instant(next)))
    }

    @Test("a wall time skipped by spring-forward is reached when the clocks jump")
    func skippedWallTime() throws {
        let newYork = LocalCalendar(identifier: "America/New_York")
        // 2026-03-08 02:30 does not exist in New York: 01:59:59 EST is followed by 03:00:00 EDT.
        let wall = try Fixture.instant("2026-03-08T02:30:00Z")  // wall-clock value, written as UTC
        let reached = newYork.firstInstant(reachingWallClock: wall, after: try Fixture.instant("2026-03-08T01:00:00-05:00"))
        #expect(reached == (try Fixture.instant("2026-03-08T03:00:00-04:00")))
    }

    @Test("a repeated wall time is reached at its first occurrence after the instant")
    func repeatedWallTime() throws {
        let newYork = LocalCalendar(identifier: "America/New_York")
        let wall = try Fixture.instant("2026-11-01T01:30:00Z")
        let first = try Fixture.instant("2026-11-01T01:30:00-04:00")
        let second = try Fixture.instant("2026-11-01T01:30:00-05:00")
        #expect(newYork.firstInstant(reachingWallClock: wall, after: first - 600) == first)
        #expect(newYork.firstInstant(reachingWallClock: wall, after: first + 600) == second)
    }

    @Test(
        "ISO 8601 rendering with the local offset",
        arguments: [
            ("Europe/Berlin", "2026-11-23T23:00:00Z", "2026-11-24T00:00:00+01:00"),
            ("America/New_York", "2026-03-08T07:00:00Z", "2026-03-08T03:00:00-04:00"),
            ("Asia/Kolkata", "2026-01-01T00:00:00Z", "2026-01-01T05:30:00+05:30"),
            ("UTC", "1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
            ("UTC", "2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z"),
        ])
    func iso8601(zone: String, utc: String, expected: String) throws {
        #expect(LocalCalendar(identifier: zone).iso8601(try Fixture.instant(utc)) == expected)
    }

    @Test("an unknown time zone falls back to the policy default")
    func unknownZone() {
        #expect(LocalCalendar(identifier: "Mars/Olympus_Mons", fallback: "Europe/Berlin").timeZone.identifier == "Europe/Berlin")
    }
}
