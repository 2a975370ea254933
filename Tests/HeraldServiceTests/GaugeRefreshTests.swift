import Testing

@testable import HeraldService

/// The gauges' row counts grow with the store, so their refresh backs off to stay under 2 % of a
/// core (``HousekeepingService/gaugePause(interval:took:)``).
struct GaugeRefreshTests {
    @Test func aQuickRefreshKeepsTheInterval() {
        #expect(HousekeepingService.gaugePause(interval: .seconds(5), took: .milliseconds(3)) == .seconds(5))
        #expect(HousekeepingService.gaugePause(interval: .seconds(5), took: .milliseconds(100)) == .seconds(5))
    }

    @Test func aSlowRefreshWaitsFiftyTimesItsLength() {
        #expect(HousekeepingService.gaugePause(interval: .seconds(5), took: .milliseconds(101)) == .milliseconds(5_050))
        #expect(HousekeepingService.gaugePause(interval: .seconds(5), took: .seconds(1)) == .seconds(50))
        #expect(HousekeepingService.gaugePause(interval: .milliseconds(10), took: .milliseconds(40)) == .seconds(2))
    }
}
