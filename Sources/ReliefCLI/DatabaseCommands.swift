import ArgumentParser
import EmbeddedPostgres
import Foundation
import Postgres
import ReliefStore

struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage the embedded PostgreSQL cluster under RELIEF_HOME (default ./.relief).",
        subcommands: [Start.self, Stop.self, Status.self, URL.self])

    static var cluster: EmbeddedPostgres {
        EmbeddedPostgres(home: EmbeddedPostgres.defaultHome(environment: Session.environment))
    }

    static func refuseWhenExternal() throws {
        if EmbeddedPostgres.isExternalDatabaseConfigured(environment: Session.environment) {
            throw Failure(description: "DATABASE_URL, PGHOST or PGSERVICE is set, so relief uses that server and not an embedded cluster; unset them to manage the embedded one")
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Initialise (first time) and start the cluster, then apply migrations.")
        func run() async throws {
            try DB.refuseWhenExternal()
            let conninfo = try DB.cluster.start()
            let database = try await ReliefDatabase.open(ConnectionConfiguration(conninfo: conninfo), maximumConnections: 1)
            await database.close()
            print("running: \(conninfo)")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster (fast shutdown).")
        func run() async throws {
            try DB.refuseWhenExternal()
            try DB.cluster.stop()
            print("stopped")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the cluster is running.")
        func run() async throws {
            if EmbeddedPostgres.isExternalDatabaseConfigured(environment: Session.environment) {
                print("external: relief uses the server named by DATABASE_URL / PG* variables")
                return
            }
            let cluster = DB.cluster
            switch try cluster.status() {
            case .notInitialized: print("not initialised (\(cluster.dataDirectory)); `relief db start` creates it")
            case .stopped: print("stopped (\(cluster.dataDirectory))")
            case .running(let pid): print("running, pid \(pid): \(cluster.connectionString)")
            }
        }
    }

    struct URL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the libpq connection string (for psql \"$(relief db url)\").")
        func run() async throws {
            let environment = Session.environment
            if EmbeddedPostgres.isExternalDatabaseConfigured(environment: environment) {
                print(environment["DATABASE_URL"] ?? "(from PG* variables)")
            } else {
                print(DB.cluster.connectionString)
            }
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending SQL migrations (every command does this first).")
    func run() async throws {
        let configuration = try ReliefDatabase.locate(environment: Session.environment)
        let connection = try await Connection.connect(configuration)
        do {
            let applied = try await Migrator.migrate(connection)
            await connection.close()
            print(applied.isEmpty ? "schema is up to date" : "applied: " + applied.joined(separator: ", "))
        } catch {
            await connection.close()
            throw error
        }
    }
}
