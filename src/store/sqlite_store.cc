#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "archer/store.h"
#include "common/log.h"

namespace archer {

namespace {

// Numbered migrations: migration i brings the schema from version i to i + 1.
const char* const kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE experiment (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE trial (
  trial_id TEXT PRIMARY KEY,
  sequence_id INTEGER NOT NULL,
  parameter_id INTEGER,
  parameters TEXT NOT NULL,
  status TEXT NOT NULL,
  submit_time INTEGER NOT NULL DEFAULT 0,
  start_time INTEGER NOT NULL DEFAULT 0,
  end_time INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER,
  message TEXT NOT NULL DEFAULT '',
  trial_dir TEXT NOT NULL DEFAULT ''
);
CREATE INDEX trial_by_sequence ON trial (sequence_id);
CREATE INDEX trial_by_status ON trial (status);
CREATE TABLE metric (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trial_id TEXT NOT NULL,
  parameter_id INTEGER,
  type TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  value TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  UNIQUE (trial_id, type, sequence)
);
CREATE INDEX metric_by_trial ON metric (trial_id);
)sql",
    // 2: how the training service finds a trial again after a restart (local:
    // the run.sh pid; later platforms: a job id).
    R"sql(
ALTER TABLE trial ADD COLUMN handle TEXT NOT NULL DEFAULT '';
)sql",
    // 3: the search-space generation a trial was proposed in (0 before the
    // first `update searchspace`; the spaces are kept under "search_spaces").
    R"sql(
ALTER TABLE trial ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
)sql",
};

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  void bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, std::optional<std::int64_t> v) {
    if (v) {
      sqlite3_bind_int64(stmt_, i, *v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }
  void bind(int i, std::optional<int> v) {
    bind(i, v ? std::optional<std::int64_t>(*v) : std::nullopt);
  }
  int step() { return sqlite3_step(stmt_); }
  std::string text(int col) {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? std::string(
                   reinterpret_cast<const char*>(t),
                   static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t int64(int col) { return sqlite3_column_int64(stmt_, col); }
  std::optional<std::int64_t> opt_int64(int col) {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(stmt_, col);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

class SqliteStore : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path)
      : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override { sqlite3_close(db_); }

  Status migrate() {
    for (const char* pragma :
         {"PRAGMA busy_timeout=5000", "PRAGMA synchronous=NORMAL",
          "PRAGMA foreign_keys=ON"}) {
      Status st = exec(pragma);
      if (!st.is_ok()) return st;
    }
    // Switching a new database to WAL fails with SQLITE_BUSY (the busy
    // handler is not consulted) while another connection opens it at the
    // same time (the manager and a reader): retry for up to 5 s.
    Status wal;
    for (int i = 0; i < 250; ++i) {
      wal = exec("PRAGMA journal_mode=WAL");
      if (wal.is_ok() || sqlite3_errcode(db_) != SQLITE_BUSY) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!wal.is_ok()) return wal;
    const int target =
        static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
    int version = schema_version();
    if (version > target) {
      return Status::invalid_argument(
          path_ + ": database schema version " + std::to_string(version) +
          " is newer than this Archer (" + std::to_string(target) + ")");
    }
    for (; version < target; ++version) {
      Status st = transaction([&] {
        // Another connection (the manager, a reader opening the same new
        // database) may have applied it meanwhile: the version read under the
        // write lock decides.
        if (schema_version() > version) return Status::ok();
        Status s = exec(kMigrations[version]);
        if (!s.is_ok()) return s;
        return exec(
            ("PRAGMA user_version=" + std::to_string(version + 1)).c_str());
      });
      if (!st.is_ok())
        return st.with_context("migration " + std::to_string(version + 1));
    }
    return Status::ok();
  }

  std::int64_t data_version() override {
    Statement s(db_, "PRAGMA data_version");
    const std::int64_t others =
        s.ok() && s.step() == SQLITE_ROW ? s.int64(0) : -1;
    return (others << 32) + sqlite3_total_changes(db_);
  }

  std::int64_t trials_revision() override {
    Statement t(db_,
                "SELECT count(*), ifnull(sum(start_time), 0), "
                "ifnull(sum(end_time), 0), ifnull(sum(length(status)), 0), "
                "(SELECT ifnull(max(id), 0) FROM metric) FROM trial");
    if (!t.ok() || t.step() != SQLITE_ROW) return -1;
    std::int64_t h = 1469598103934665603ll;
    for (int i = 0; i < 5; ++i) {
      h = static_cast<std::int64_t>((static_cast<std::uint64_t>(h) ^
                                     static_cast<std::uint64_t>(t.int64(i))) *
                                    1099511628211ull);
    }
    return h & 0x7fffffffffffffffll;
  }

  int schema_version() override {
    Statement s(db_, "PRAGMA user_version");
    return s.ok() && s.step() == SQLITE_ROW ? static_cast<int>(s.int64(0)) : -1;
  }

  Status put_value(const std::string& key, const Json& value) override {
    Statement s(db_,
                "INSERT INTO experiment (key, value) VALUES (?1, ?2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    if (!s.ok()) return error("prepare");
    s.bind(1, key);
    s.bind(2, dumps(value));
    return done(s, "put_value " + key);
  }

  StatusOr<Json> get_value(const std::string& key) override {
    Statement s(db_, "SELECT value FROM experiment WHERE key = ?1");
    if (!s.ok()) return error("prepare");
    s.bind(1, key);
    int rc = s.step();
    if (rc == SQLITE_DONE) return Json();
    if (rc != SQLITE_ROW) return error("get_value " + key);
    return parse_json(s.text(0), path_ + ": experiment value '" + key + "'");
  }

  Status insert_trial(const TrialRow& t) override {
    Statement s(db_,
                "INSERT INTO trial (trial_id, sequence_id, parameter_id, "
                "parameters, status, "
                "submit_time, start_time, end_time, exit_code, message, "
                "trial_dir, handle, generation) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    if (!s.ok()) return error("prepare");
    s.bind(1, t.trial_id);
    s.bind(2, t.sequence_id);
    s.bind(3, t.parameter_id);
    s.bind(4, t.parameters);
    s.bind(5, std::string(to_string(t.status)));
    s.bind(6, t.submit_time);
    s.bind(7, t.start_time);
    s.bind(8, t.end_time);
    s.bind(9, t.exit_code);
    s.bind(10, t.message);
    s.bind(11, t.trial_dir);
    s.bind(12, t.handle);
    s.bind(13, static_cast<std::int64_t>(t.generation));
    return done(s, "insert trial " + t.trial_id);
  }

  Status update_trial(const TrialRow& t) override {
    auto current = trial(t.trial_id);
    if (!current.is_ok()) return current.status();
    if (!current.value())
      return Status::not_found(path_ + ": no trial '" + t.trial_id + "'");
    if (is_terminal(current.value()->status)) {
      return Status::invalid_argument(path_ + ": trial '" + t.trial_id +
                                      "' already ended as " +
                                      to_string(current.value()->status) +
                                      "; finished trials never change");
    }
    Statement s(db_,
                "UPDATE trial SET status = ?2, start_time = ?3, end_time = ?4, "
                "exit_code = ?5, "
                "message = ?6, handle = ?7 WHERE trial_id = ?1");
    if (!s.ok()) return error("prepare");
    s.bind(1, t.trial_id);
    s.bind(2, std::string(to_string(t.status)));
    s.bind(3, t.start_time);
    s.bind(4, t.end_time);
    s.bind(5, t.exit_code);
    s.bind(6, t.message);
    s.bind(7, t.handle);
    return done(s, "update trial " + t.trial_id);
  }

  StatusOr<std::optional<TrialRow>> trial(
      const std::string& trial_id) override {
    auto rows = select_trials("WHERE trial_id = ?1", trial_id);
    if (!rows.is_ok()) return rows.status();
    if (rows.value().empty()) return std::optional<TrialRow>();
    return std::optional<TrialRow>(rows.value()[0]);
  }

  StatusOr<std::vector<TrialRow>> trials() override {
    return select_trials("", "");
  }

  StatusOr<std::vector<TrialRow>> trials_after(
      std::int64_t sequence_id) override {
    return select_trials("WHERE sequence_id > " + std::to_string(sequence_id),
                         "");
  }

  StatusOr<bool> insert_metric(const MetricRow& m) override {
    Statement s(db_,
                "INSERT OR IGNORE INTO metric (trial_id, parameter_id, type, "
                "sequence, value, "
                "timestamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s.ok()) return error("prepare");
    s.bind(1, m.trial_id);
    s.bind(2, m.parameter_id);
    s.bind(3, std::string(to_string(m.type)));
    s.bind(4, m.sequence);
    s.bind(5, m.value);
    s.bind(6, m.timestamp);
    Status st = done(s, "insert metric");
    if (!st.is_ok()) return st;
    return sqlite3_changes(db_) > 0;
  }

  StatusOr<std::optional<std::string>> metric_value(
      const std::string& trial_id, MetricType type,
      std::int64_t sequence) override {
    Statement s(db_,
                "SELECT value FROM metric WHERE trial_id = ?1 AND type = ?2 "
                "AND sequence = ?3");
    if (!s.ok()) return error("prepare");
    s.bind(1, trial_id);
    s.bind(2, std::string(to_string(type)));
    s.bind(3, sequence);
    const int rc = s.step();
    if (rc == SQLITE_ROW) return std::optional<std::string>(s.text(0));
    if (rc != SQLITE_DONE) return error("select metric");
    return std::optional<std::string>();
  }

  StatusOr<std::vector<MetricRow>> metrics(
      const std::string& trial_id) override {
    return select_metrics(trial_id.empty() ? "" : "WHERE trial_id = ?1",
                          trial_id);
  }

  StatusOr<std::vector<MetricRow>> metrics_of_type(MetricType type) override {
    return select_metrics("WHERE type = ?1", to_string(type));
  }

  StatusOr<std::map<std::string, int>> metric_counts(MetricType type) override {
    Statement s(db_,
                "SELECT trial_id, count(*) FROM metric WHERE type = ?1 GROUP "
                "BY trial_id");
    if (!s.ok()) return error("prepare");
    s.bind(1, std::string(to_string(type)));
    std::map<std::string, int> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out[s.text(0)] = static_cast<int>(s.int64(1));
    if (rc != SQLITE_DONE) return error("metric counts");
    return out;
  }

  Status transaction(const std::function<Status()>& body) override {
    Status st = exec("BEGIN IMMEDIATE");
    if (!st.is_ok()) return st;
    st = body();
    if (!st.is_ok()) {
      Status undone = exec("ROLLBACK");
      if (!undone.is_ok())
        log_warning("archer", "rolling back: " + undone.message());
      return st;
    }
    return exec("COMMIT");
  }

 private:
  // Metrics matching `where` (with ?1 = `arg` when it is not empty), in
  // insertion order.
  StatusOr<std::vector<MetricRow>> select_metrics(const std::string& where,
                                                  const std::string& arg) {
    const std::string sql =
        "SELECT trial_id, parameter_id, type, sequence, value, timestamp FROM "
        "metric " +
        where + " ORDER BY id";
    Statement s(db_, sql.c_str());
    if (!s.ok()) return error("prepare");
    if (!where.empty()) s.bind(1, arg);
    std::vector<MetricRow> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      const std::string type = s.text(2);
      const std::optional<MetricType> parsed = parse_metric_type(type);
      if (!parsed) {
        return Status::invalid_argument(path_ + ": trial '" + s.text(0) +
                                        "': unknown metric type '" + type +
                                        "' in the store");
      }
      out.push_back(MetricRow{s.text(0), s.opt_int64(1), *parsed, s.int64(3),
                              s.text(4), s.int64(5)});
    }
    if (rc != SQLITE_DONE) return error("metrics");
    return out;
  }

  StatusOr<std::vector<TrialRow>> select_trials(const std::string& where,
                                                const std::string& arg) {
    const std::string sql =
        "SELECT trial_id, sequence_id, parameter_id, parameters, status, "
        "submit_time, "
        "start_time, end_time, exit_code, message, trial_dir, handle, "
        "generation FROM trial " +
        where + " ORDER BY sequence_id";
    Statement s(db_, sql.c_str());
    if (!s.ok()) return error("prepare");
    if (!arg.empty()) s.bind(1, arg);
    std::vector<TrialRow> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      TrialRow t;
      t.trial_id = s.text(0);
      t.sequence_id = s.int64(1);
      t.parameter_id = s.opt_int64(2);
      t.parameters = s.text(3);
      const std::string status = s.text(4);
      const std::optional<TrialStatus> parsed = parse_trial_status(status);
      if (!parsed) {
        return Status::invalid_argument(path_ + ": trial '" + t.trial_id +
                                        "': unknown status '" + status +
                                        "' in the store");
      }
      t.status = *parsed;
      t.submit_time = s.int64(5);
      t.start_time = s.int64(6);
      t.end_time = s.int64(7);
      if (auto code = s.opt_int64(8)) t.exit_code = static_cast<int>(*code);
      t.message = s.text(9);
      t.trial_dir = s.text(10);
      t.handle = s.text(11);
      t.generation = static_cast<int>(s.int64(12));
      out.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return error("select trials");
    return out;
  }

  Status exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return Status::io_error(path_ + ": " + msg);
    }
    return Status::ok();
  }
  Status done(Statement& s, const std::string& what) {
    int rc = s.step();
    if (rc != SQLITE_DONE) return error(what);
    return Status::ok();
  }
  Status error(const std::string& what) {
    return Status::io_error(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }

  sqlite3* db_;
  std::string path_;
};

}  // namespace

StatusOr<std::unique_ptr<Store>> Store::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::io_error(path +
                            ": cannot open the experiment database: " + msg);
  }
  auto store = std::make_unique<SqliteStore>(db, path);
  Status st = store->migrate();
  if (!st.is_ok()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

StatusOr<Json> Store::peek_value(const std::string& path,
                                 const std::string& key) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, nullptr);
  auto fail = [&](const std::string& why) -> Status {
    const std::string msg = db && why.empty() ? sqlite3_errmsg(db)
                            : why.empty()     ? "?"
                                              : why;
    sqlite3_close(db);
    return Status::invalid_argument(
        path + ": not a readable experiment store (" + msg + ")");
  };
  if (rc != SQLITE_OK) return fail("");
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(db, "SELECT value FROM experiment WHERE key = ?1", -1,
                          &stmt, nullptr);
  if (rc != SQLITE_OK) return fail("");
  sqlite3_bind_text(stmt, 1, key.c_str(), static_cast<int>(key.size()),
                    SQLITE_TRANSIENT);
  rc = sqlite3_step(stmt);
  std::string text;
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(stmt, 0);
    text = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(stmt);
  if (rc == SQLITE_DONE) {
    sqlite3_close(db);
    return Json();
  }
  if (rc != SQLITE_ROW) return fail("");
  sqlite3_close(db);
  return parse_json(text, path + ": experiment value '" + key + "'");
}

}  // namespace archer
