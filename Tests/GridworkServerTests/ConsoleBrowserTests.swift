import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// Debian's headless Chromium (`apt-get install -y chromium`; `tools/setup --checks` installs it).
enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static let missing = "chromium is not installed: `apt-get install -y chromium` (tools/setup --checks does) to run the browser tests"

    /// Runs headless Chromium on `url` with a fresh profile and returns what it printed (`--dump-dom`: the DOM after
    /// `virtualTimeBudget` ms of page time). Output goes through files, so a large DOM cannot fill a pipe.
    static func run(url: String, extra: [String], virtualTimeBudget: Int = 20_000, timeout: TimeInterval = 90) async throws -> String {
        try await runLogged(url: url, extra: extra, virtualTimeBudget: virtualTimeBudget, timeout: timeout).out
    }

    /// `run`, also returning the page's console messages (Chromium's `--enable-logging=stderr` lines with `:CONSOLE`).
    static func runLogged(url: String, extra: [String], virtualTimeBudget: Int = 20_000,
                          timeout: TimeInterval = 90) async throws -> (out: String, console: [String]) {
        let dir = NSTemporaryDirectory() + "gridwork-chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
                             "--user-data-dir=\(dir)/profile", "--virtual-time-budget=\(virtualTimeBudget)",
                             "--enable-logging=stderr", "--v=0"] + extra + [url]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { process.terminate() } }
        }
        let out = (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
        if status != 0 {
            throw ConsoleError("chromium exited with \(status) on \(url):\n\(err.suffix(2000))")
        }
        return (out, err.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init))
    }

    /// The `data-*` attributes of `<body>` in a dumped DOM.
    static func bodyData(_ dom: String) -> [String: String] {
        guard let start = dom.range(of: "<body"), let end = dom[start.upperBound...].firstIndex(of: ">") else { return [:] }
        let tag = String(dom[start.upperBound..<end])
        var result: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"data-([a-z-]+)="([^"]*)""#)
        for m in pattern.matches(in: tag, range: NSRange(tag.startIndex..., in: tag)) {
            let key = String(tag[Range(m.range(at: 1), in: tag)!])
            let value = String(tag[Range(m.range(at: 2), in: tag)!])
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            result[key] = value
        }
        return result
    }
}

extension ConsoleFixture {
    /// Reports a garbage incident at `point` with the reporter token and returns its id.
    func report(_ client: some TestClientProtocol, at point: (lon: Double, lat: Double), description: String,
                sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int {
        let r = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                      json: incidentJSON(category: "garbage", x: point.lon, y: point.lat, description: description))
        #expect(r.status == .created, "\(r.text)", sourceLocation: sourceLocation)
        return try #require(r.object["id"] as? Int, sourceLocation: sourceLocation)
    }

    /// The page's address with a role's token in the fragment.
    func page(_ port: Int, as role: String) -> String { "http://127.0.0.1:\(port)/#token=\(f.tokens[role]!)" }
}

@Suite("Web console in headless Chromium", .serialized)
struct ConsoleBrowserTests {
    @Test("the page draws grids, problems and incidents; a reassignment made in the page reaches the API",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func drawAndReassign() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            // Two incidents in the worker's grid, one elsewhere.
            var ids: [Int] = []
            for (x, y) in [(p.lon, p.lat), (p.lon, p.lat), (c.f.vacantPoint.lon, c.f.vacantPoint.lat)] {
                let r = try await client.send(.post, "/api/v1/incidents", token: c.f.tokens["reporter"],
                                              json: incidentJSON(category: "garbage", x: x, y: y, description: "console test"))
                #expect(r.status == .created, "\(r.text)")
                ids.append(try #require(r.object["id"] as? Int))
            }
            let target = c.f.otherWorker
            let base = "http://127.0.0.1:\(port)/"

            // The dispatcher reassigns the first incident from the page.
            let fragment = "#token=\(c.f.tokens["dispatcher"]!)&incident=\(ids[0])&action=dispatch&assignee=staff:\(target)"
            let dom = try await Chromium.run(url: base + fragment, extra: ["--dump-dom"])
            let data = Chromium.bodyData(dom)
            #expect(data["state"] == "ready", "page state: \(data)\n\(dom.prefix(3000))")
            #expect(data["grids-drawn"] == String(c.gridCount))
            #expect(Int(data["gaps-drawn"] ?? "") ?? 0 >= 1)
            #expect(Int(data["overlaps-drawn"] ?? "") ?? 0 >= 1)
            #expect(data["incidents-drawn"] == "3")
            // The fixture's clock stands at 2026-01-01, so every deadline has passed by the browser's clock.
            #expect(data["overdue-rows"] == "3")
            #expect(data["role"] == "dispatcher")
            #expect(data["action-result"] == "ok:dispatched:staff:\(target)", "\(data)")
            #expect(dom.contains("事件 \(ids[0])"), "the side panel shows the incident")

            // Through the API: the incident is now the other worker's, with the page's note in its history.
            let after = try await client.send(.get, "/api/v1/incidents/\(ids[0])", token: c.f.tokens["dispatcher"])
            #expect((after.object["assignee"] as? [String: Any])?["id"] as? String == target)
            let history = after.object["history"] as? [[String: Any]] ?? []
            #expect(history.contains { $0["action"] as? String == "dispatch" && ($0["note"] as? String ?? "").contains("调度台") })

            // A grid worker's page shows only what the API lets the worker see, and may not reassign.
            let worker = "#token=\(c.f.tokens["worker"]!)&incident=\(ids[1])&action=dispatch&assignee=staff:\(target)"
            let workerData = Chromium.bodyData(try await Chromium.run(url: base + worker, extra: ["--dump-dom"]))
            let visible = try await client.send(.get, "/api/v1/incidents?state=open", token: c.f.tokens["worker"])
            let visibleCount = (visible.object["incidents"] as? [Any])?.count ?? -1
            #expect(workerData["incidents-drawn"] == String(visibleCount), "\(workerData)")
            #expect(visibleCount >= 1 && visibleCount < 3)
            #expect(workerData["action-result"]?.hasPrefix("error:403:") == true, "\(workerData)")
            let unchanged = try await client.send(.get, "/api/v1/incidents/\(ids[1])", token: c.f.tokens["dispatcher"])
            #expect((unchanged.object["assignee"] as? [String: Any])?["id"] as? String == p.worker)

            // A wrong token brings the sign-in dialog, not a broken map.
            let bad = Chromium.bodyData(try await Chromium.run(url: base + "#token=gw_wrong", extra: ["--dump-dom"]))
            #expect(bad["state"] == "login", "\(bad)")
        }
    }

    @Test("a clean load (no console errors, no failed requests); a grid click opens its panel through the incident layer",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func cleanLoadAndGridClick() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint, vacant = c.f.vacantPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let id = try await c.report(client, at: (p.lon, p.lat), description: "in the worker's grid")
            let base = c.page(port, as: "dispatcher")

            // Incidents drawn, a click on a grid without one: the grid's panel opens.
            let (dom, console) = try await Chromium.runLogged(url: base + "&click=\(vacant.lon),\(vacant.lat)", extra: ["--dump-dom"])
            let data = Chromium.bodyData(dom)
            #expect(data["state"] == "ready", "\(data)")
            #expect(data["incidents-drawn"] == "1")
            #expect(console.isEmpty, "console messages: \(console)")
            #expect(data["console-errors"] == "0" && data["failed-requests"] == "", "\(data)")
            #expect(data["incidents-capped"] == "false")
            #expect(data["selected-grid"] == vacant.grid, "the click reached the grid: \(data)")

            // Incidents switched off, a click on the incident's own place: its grid opens, listing the incident.
            let off = try await Chromium.run(url: base + "&layers=no-incidents&click=\(p.lon),\(p.lat)", extra: ["--dump-dom"])
            #expect(Chromium.bodyData(off)["selected-grid"] == p.grid, "\(Chromium.bodyData(off))")
            #expect(off.contains("<tr data-id=\"\(id)\">"), "the grid panel lists its open incident")
        }
    }

    @Test("Escalate in the page raises the level and keeps the handler; Dispatch keeps the level (checked through the API)",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func escalateRaisesTheLevel() async throws {
        let c = try ConsoleFixture()
        let p = c.f.offDutyPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let id = try await c.report(client, at: (p.lon, p.lat), description: "escalate me")
            let base = c.page(port, as: "dispatcher") + "&incident=\(id)"

            // Escalated to the county from the page: level county, still the village committee's, on the overdue table.
            let dom = try await Chromium.run(url: base + "&action=escalate&level=county", extra: ["--dump-dom"])
            let data = Chromium.bodyData(dom)
            #expect(data["action-result"] == "ok:dispatched:village:\(p.village)", "\(data)")
            #expect(data["overdue-rows"] == "1")
            var after = try await client.send(.get, "/api/v1/incidents/\(id)", token: c.f.tokens["dispatcher"])
            #expect(after.object["escalation_level"] as? String == "county")
            let history = after.object["history"] as? [[String: Any]] ?? []
            #expect(history.last?["action"] as? String == "escalate", "\(history)")
            #expect((history.last?["actor"] as? String ?? "").hasPrefix("dispatcher:"))
            // The panel offers Dispatch with the current assignee preselected, and no Escalate at the county.
            #expect(dom.contains("value=\"village:\(p.village)\" selected"), "Reassign preselects the current assignee")
            #expect(!dom.contains("data-act=\"escalate\""), "nothing above the county")

            // Dispatching it on (to the village committee again) keeps the county level.
            let again = Chromium.bodyData(try await Chromium.run(url: base + "&action=dispatch&assignee=village:\(p.village)",
                                                                 extra: ["--dump-dom"]))
            #expect(again["action-result"] == "ok:dispatched:village:\(p.village)", "\(again)")
            after = try await client.send(.get, "/api/v1/incidents/\(id)", token: c.f.tokens["dispatcher"])
            #expect(after.object["escalation_level"] as? String == "county")
            // Lowering is refused with the API's message.
            let lower = try await client.send(.post, "/api/v1/incidents/\(id)/escalate", token: c.f.tokens["dispatcher"],
                                              json: #"{"level": "town"}"#)
            #expect(lower.status == .conflict, "\(lower.text)")
        }
    }

    @Test("Chinese by default from the one message table; the bar's switch turns the page English",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func chineseAndEnglish() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let id = try await c.report(client, at: (p.lon, p.lat), description: "语言测试")
            let base = c.page(port, as: "dispatcher") + "&incident=\(id)"

            let zh = try await Chromium.run(url: base, extra: ["--dump-dom"])
            #expect(Chromium.bodyData(zh)["lang"] == "zh-CN" && zh.contains("<html lang=\"zh-CN\""))
            // Labels, the category from the routing rules' label, state, role, level and buttons, all in Chinese.
            for text in ["超期事件", "图例", "垃圾清运", "已派单", "调度员", "网格级", "派单", "升级", "退出", "English"] {
                #expect(zh.contains(text), "zh-CN page lacks \(text)")
            }
            #expect(!zh.contains("Overdue incidents") && !zh.contains("garbage</td>"))
            // The fixture's clock stands at 2026-01-01 00:00 UTC: reported at 08:00 in Asia/Shanghai; the deadline
            // (24 h) passed long ago by the browser's clock, so the overdue table says by how much, in days.
            #expect(zh.contains("2026-01-01 08:00") && zh.contains("2026-01-02 08:00"), "times in Asia/Shanghai")
            #expect(zh.range(of: #"超期 \d+ 天"#, options: .regularExpression) != nil, "lateness as 超期 N 天")

            let en = try await Chromium.run(url: base + "&press=lang-switch", extra: ["--dump-dom"])
            let data = Chromium.bodyData(en)
            #expect(data["lang"] == "en" && en.contains("<html lang=\"en\""), "\(data)")
            for text in ["Overdue incidents", "Legend", "Garbage", "dispatched", "dispatcher", "Dispatch", "Escalate",
                         "Sign out", "中文", "2026-01-01 08:00"] {
                #expect(en.contains(text), "English page lacks \(text)")
            }
            #expect(!en.contains("超期事件") && !en.contains("垃圾清运"))
            #expect(en.range(of: #"\d+ d overdue"#, options: .regularExpression) != nil)
        }
    }

    @Test("screenshots at desktop and phone widths are drawn (not blank)",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func screenshots() async throws {
        let c = try ConsoleFixture()
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let dir = NSTemporaryDirectory() + "gridwork-shots-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            for (name, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
                let file = "\(dir)/\(name).png"
                _ = try await Chromium.run(url: "http://127.0.0.1:\(port)/#token=\(c.f.tokens["planner"]!)",
                                           extra: ["--screenshot=\(file)", "--window-size=\(width),\(height)"])
                let png = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
                // IHDR: width and height, big-endian, at bytes 16...23.
                let w = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
                #expect(w == width && h == height, "\(name): \(w)×\(h)")
                // A map of coloured grids compresses far worse than an empty page (a blank 1280×800 PNG is ~5 KB).
                #expect(png.count > width * height / 40, "\(name) screenshot is \(png.count) bytes: the map looks empty")
            }
        }
    }
}
