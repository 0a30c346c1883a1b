import { counter, gauge, MS, type MetricSpecs } from '../core/metrics.js';

/** How the camera part's (capture + detector) `metrics()` keys are exported. */
export const CAMERA_METRICS: MetricSpecs = {
  camera_online: gauge('1 while the camera delivers frames', { name: 'online', label: 'camera' }),
  detect_messages_published: counter('Detection messages published'),
  detect_heartbeats: counter('Empty detection messages (heartbeats) published'),
  detect_detections: counter('Detections found'),
  detect_frames_processed: counter('Frames run through the detector'),
  detect_snapshots: counter('Evidence snapshots published'),
  detect_worker_crashes: counter('Detector worker crashes'),
  detect_worker_hangs: counter('Detector worker hangs (restarted)'),
  detect_worker_restarts: counter('Detector worker restarts'),
  detect_worker_rejected_messages: counter('Malformed messages from the detector worker'),
  detect_infer_ms_avg: gauge('Average inference time per frame', { name: 'detect_inference_seconds_avg', scale: MS }),
  detect_errors: counter('Detector errors'),
  camera_frames: counter('Frames captured', { name: 'frames', label: 'camera' }),
  camera_dropped: counter('Frames dropped (the detector was busy)', { name: 'frames_dropped', label: 'camera' }),
  link_errors: counter('MQTT link calls that threw'),
};
