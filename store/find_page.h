// FindPage: one Feathers find (a TranslateQuery'd SqlQuery over a service's table) as a page
// {total, limit, skip, data}, on any SqlSession: a COUNT with the query's conditions, then,
// unless $limit is 0, the page's rows read back by the record codec. The same code answers on
// SQLite and PostgreSQL (tests/store/sql_session_test.cpp runs it on both).
//
// The SqlQuery must have been translated for the session's dialect. Bounded by the query's
// $limit (QueryLimits::max_limit) and the session's limits. Thread-safety: the session's.
#pragma once

#include "base/json.h"
#include "base/schema.h"
#include "base/status.h"
#include "store/query.h"
#include "store/sql_session.h"

namespace agor {

Status FindPage(SqlSession* session, const ServiceSchema& schema, const SqlQuery& q, Json* page);

}  // namespace agor
