import { getJobs } from "../../../lib/jobs";

// The app's own API: parses JSON as usual and enqueues the welcome mail through QStash.
export const dynamic = "force-dynamic";
export async function POST(request: Request): Promise<Response> {
  const { email } = (await request.json()) as { email: string };
  const jobs = getJobs();
  return Response.json(await jobs.qstash.enqueue(jobs.sendWelcome, { email }));
}
