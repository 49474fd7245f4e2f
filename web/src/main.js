// Placeholder entry point (replaced by the real app, engineer A): proves the pinned
// Feathers client stack bundles for the browser and connects to the serving daemon.
import { feathers } from '@feathersjs/feathers';
import socketio from '@feathersjs/socketio-client';
import authentication from '@feathersjs/authentication-client';
import { io } from 'socket.io-client';

const client = feathers();
client.configure(socketio(io(window.location.origin)));
client.configure(authentication());
document.getElementById('app').textContent = 'agor';
