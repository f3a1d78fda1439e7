export { startTrainer } from "./trainer.js";
export { loadTrainerConfig, trainerOptions, type TrainerConfig } from "./config.js";
