import { getJobs } from "../../../lib/jobs";

// QStash delivers each job with a signed POST; the handler checks the signature over the raw body.
export const dynamic = "force-dynamic";
export const POST = (request: Request) => getJobs().qstash.handler()(request);
