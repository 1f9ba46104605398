/** A request the dashboard refuses: the status to answer with and one sentence saying what to change. */
export class DashboardHttpError extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 421,
    message: string,
  ) {
    super(message);
    this.name = 'DashboardHttpError';
  }
}

/** A 400 for a query parameter or path the dashboard cannot read. */
export function badRequest(message: string): DashboardHttpError {
  return new DashboardHttpError(400, message);
}

/** A 404 for a run or page that does not exist. */
export function notFound(message: string): DashboardHttpError {
  return new DashboardHttpError(404, message);
}
