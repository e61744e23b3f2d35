import GridPostgres
import Testing

@Suite struct PostgresLocationTests {
    let noEnv: [String: String] = [:]

    @Test func fullURL() throws {
        let l = try PostgresLocation(parsing: "postgres://alice:s%40cret@db.example:6543/county?application_name=t",
                                     environment: noEnv)
        #expect(l.endpoint == .tcp(host: "db.example", port: 6543))
        #expect(l.user == "alice")
        #expect(l.password == "s@cret")
        #expect(l.database == "county")
        #expect(l.applicationName == "t")
        #expect(!l.description.contains("s@cret"), "the password never appears in messages")
    }

    @Test func postgresqlSchemeAndIPv6() throws {
        let l = try PostgresLocation(parsing: "postgresql://bob@[::1]:5433/g", environment: noEnv)
        #expect(l.endpoint == .tcp(host: "::1", port: 5433))
        #expect(l.database == "g")
    }

    @Test func unixSocketForms() throws {
        let a = try PostgresLocation(parsing: "postgres:///gridwork?host=/tmp/pg&user=postgres", environment: noEnv)
        #expect(a.endpoint == .unixSocket(directory: "/tmp/pg", port: 5432))
        #expect(a.socketPath == "/tmp/pg/.s.PGSQL.5432")
        #expect(a.user == "postgres")
        let b = try PostgresLocation(parsing: "postgres://u@%2Fvar%2Frun%2Fpostgresql:5440/x", environment: noEnv)
        #expect(b.endpoint == .unixSocket(directory: "/var/run/postgresql", port: 5440))
    }

    @Test func environmentFillsWhatTheURLLeavesOut() throws {
        let env = ["PGHOST": "10.0.0.5", "PGPORT": "5999", "PGUSER": "grid", "PGPASSWORD": "pw", "PGDATABASE": "prov"]
        let l = try PostgresLocation(parsing: "postgres:", environment: env)
        #expect(l.endpoint == .tcp(host: "10.0.0.5", port: 5999))
        #expect(l.user == "grid" && l.password == "pw" && l.database == "prov")
        // The URL wins over the environment, part by part.
        let m = try PostgresLocation(parsing: "postgresql://other@/county", environment: env)
        #expect(m.endpoint == .tcp(host: "10.0.0.5", port: 5999))
        #expect(m.user == "other" && m.database == "county" && m.password == "pw")
        let s = try PostgresLocation(parsing: "postgres:", environment: ["PGHOST": "/run/pg", "USER": "me"])
        #expect(s.endpoint == .unixSocket(directory: "/run/pg", port: 5432))
        #expect(s.user == "me" && s.database == "me")
    }

    @Test func isPostgres() {
        #expect(PostgresLocation.isPostgres("postgres://x/y"))
        #expect(PostgresLocation.isPostgres("PostgreSQL:"))
        #expect(!PostgresLocation.isPostgres("out/jiande.sqlite"))
        #expect(!PostgresLocation.isPostgres("postgres.sqlite"))
    }

    @Test(arguments: [
        ("mysql://u@h/db", "scheme is mysql"),
        ("postgres:/tmp/x", "expected //"),
        ("postgres://u@h:99999/db", "not a port"),
        ("postgres://u@h:abc/db", "not a port"),
        ("postgres://u@h/db/extra", "contains a /"),
        ("postgres://u@[::1/db", "no closing ]"),
        ("postgres://u@h/db?sslmode=require", "sslmode=require is not supported"),
        ("postgres://u@h/db?colour=red", "unknown parameter colour"),
        ("postgres://u@h/db?host", "has no =value"),
        ("postgres://u@h/%zz", "broken %-escape"),
    ])
    func wrongURLsSayWhatIsWrong(url: String, expected: String) {
        do {
            _ = try PostgresLocation(parsing: url, environment: [:])
            Issue.record("\(url) was accepted")
        } catch let failure as PostgresFailure {
            #expect(failure.kind == .badLocation)
            #expect(failure.description.contains(expected), "\(failure)")
            #expect(failure.hint?.contains("postgres://user@host:5432/database") == true)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
