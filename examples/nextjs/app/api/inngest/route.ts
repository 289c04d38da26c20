import { getJobs } from "../../../lib/jobs";

// Inngest syncs the app with PUT, inspects it with GET and runs functions with signed POSTs.
export const dynamic = "force-dynamic";
const handle = (request: Request) => getJobs().inngest.handler()(request);

export { handle as GET, handle as POST, handle as PUT };
