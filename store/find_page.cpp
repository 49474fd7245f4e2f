#include "store/find_page.h"

#include "store/record_codec.h"

namespace agor {

Status FindPage(SqlSession* session, const ServiceSchema& schema, const SqlQuery& q, Json* page) {
  std::vector<const Field*> columns;
  for (const auto& name : q.select) columns.push_back(schema.FindField(name));
  if (columns.empty()) columns = AllColumns(schema);
  std::string from = std::string(" FROM \"") + schema.table_name() + "\"" + q.where;
  std::vector<SqlValue> params;
  for (const Json& p : q.params) params.push_back(QueryParam(p));
  SqlResult count;
  Status s = session->Query("SELECT COUNT(*)" + from, params, &count);
  if (!s.ok()) return s;
  Json data = Json::array();
  if (q.limit > 0) {
    params.push_back(q.limit);
    params.push_back(q.skip);
    SqlResult rows;
    s = session->Query("SELECT " + ColumnList(columns) + from + q.order_by + " LIMIT ? OFFSET ?",
                       params, &rows);
    if (!s.ok()) return s;
    for (const SqlRow& row : rows.rows) data.push_back(RecordFromRow(row, columns));
  }
  int64_t total = count.rows.empty() || count.rows[0].empty() ? 0 : count.rows[0][0].integer();
  *page = Json{{"total", total}, {"limit", q.limit}, {"skip", q.skip}, {"data", std::move(data)}};
  return Status::OK();
}

}  // namespace agor
