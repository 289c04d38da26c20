export default function Home() {
  return <p>Switchyard jobs are served on /api/qstash and /api/inngest.</p>;
}
